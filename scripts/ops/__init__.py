"""Operations against a live stack (AWS or the local sandbox): sandbox, verify, promote."""
