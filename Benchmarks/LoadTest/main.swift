print("load test: not yet")
