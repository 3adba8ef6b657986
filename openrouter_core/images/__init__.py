"""What only image generation has: its event stream's accumulator and stream classes. The
operation is ``funcs/images_generate.py``."""
