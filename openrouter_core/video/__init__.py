"""What only video generation has: its job polling."""
