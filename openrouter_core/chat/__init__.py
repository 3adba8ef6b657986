"""What only chat completions have: the accumulator that folds chunks into a response, the
errors a choice reports, and the chat stream classes. The operation itself is declared in
``funcs/chat_send.py``."""
