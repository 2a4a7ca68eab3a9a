"""Step 5 of the pipeline: guards, follow-up resolution, answerers, citation checking."""
