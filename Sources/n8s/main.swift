print("n8s")
