"""NLP: cleaning, language identification, place tagging and the election-text classifier."""
