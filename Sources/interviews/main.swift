print("interviews 0.1.0")
