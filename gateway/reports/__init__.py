"""Reports: members flag posts, comments and accounts; staff work through the queue."""
