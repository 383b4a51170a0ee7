"""The intake: its model, validation, the form that asks it and its vocabulary."""
