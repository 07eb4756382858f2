package agent

// OnWaiting lets tests hear when a long poll of q found nothing and starts to wait, instead of sleeping.
func OnWaiting(q *Queue, f func(cluster string)) { q.waiting = f }
