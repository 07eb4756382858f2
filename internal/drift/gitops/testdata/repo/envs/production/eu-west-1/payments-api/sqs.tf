# Managed by Atrium (action a-1): requested by dana for payments-api, team payments, in production/eu-west-1.
resource "aws_sqs_queue" "orders-events" {
  name                       = "orders-events"
  visibility_timeout_seconds = 45
  fifo_queue                 = false
  delay_seconds              = var.delay
  tags = {
    "atrium:service" = "payments-api"
    "atrium:team"    = "payments"
  }
}
