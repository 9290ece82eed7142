"""Privacy duties (AVG): what is held about a household, and erasure after retention."""
