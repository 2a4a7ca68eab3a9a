"""Package data: the question-analysis rules and the abstention model."""
