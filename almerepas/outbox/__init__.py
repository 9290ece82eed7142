"""Messages to residents (e-mail, SMS): written in the transaction that causes them, sent after commit with retries."""
