-- Staff accounts, sessions, API tokens and the upload pipeline's tables.
SELECT 1;
