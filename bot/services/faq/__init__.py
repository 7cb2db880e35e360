"""Free-text questions and answers, browsing the FAQ, the team's inbox of unanswered questions."""
