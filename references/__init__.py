"""The shared reference template, reference requests, uploads and proposals (issue: references)."""
