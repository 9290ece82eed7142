"""Messages to residents (e-mail, SMS): queued in the transaction that causes them, sent after
commit with retries."""
