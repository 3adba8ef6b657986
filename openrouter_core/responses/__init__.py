"""What only the Responses API has: its event stream's accumulator and stream classes. The
operation is ``funcs/responses_send.py`` (and its deprecated alias ``beta_responses_send``)."""
