"""Stories: group reuse units into stories (same event) and trace who published what first."""
