SELECT code, name_en, name_vi, description_en, description_vi FROM flags ORDER BY code
