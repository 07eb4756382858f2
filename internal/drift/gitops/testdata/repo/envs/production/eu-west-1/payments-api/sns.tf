resource "aws_sns_topic" "payments-settled" {
  name = "payments-settled"
  tags = { "atrium:service" = "payments-api" }
}

data "aws_sqs_queue" "payments-settled_ledger-inbox" {
  name = "ledger-inbox"
}

resource "aws_sns_topic_subscription" "payments-settled_ledger-inbox" {
  topic_arn = aws_sns_topic.payments-settled.arn
  protocol  = "sqs"
  endpoint  = data.aws_sqs_queue.payments-settled_ledger-inbox.arn
}
