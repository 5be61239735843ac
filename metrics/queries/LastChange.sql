-- When the data last changed: the latest publication or rollback of an
-- upload (the seed is an upload too). Empty when nothing was published.
SELECT COALESCE(MAX(COALESCE(rolled_back_at, published_at)), '')
FROM uploads
WHERE status IN ('published', 'rolled_back')
