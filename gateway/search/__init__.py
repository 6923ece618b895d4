"""Search: accounts by username and display name (prefix and fuzzy, in the gateway's database), posts
by their words (full-text, in the posts service), one endpoint for either or both."""
