"""Messages to residents (e-mail, SMS): written in the transaction that causes them, sent
after its commit with retries (``sending.py``)."""
