print("tokentop")
