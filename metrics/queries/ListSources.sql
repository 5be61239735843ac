SELECT id, code, title, short_title, publisher, url, vintage, licence, licence_url, terms, citation, self_reported, preferred,
       redistribution, redistribution_note, kind
FROM sources
ORDER BY title, vintage
