"""Channel adapters: each turns platform updates into Incoming and sends Replies back."""
