SELECT COUNT(*) FROM observations WHERE retired_by IS NULL AND numerator_id IS NULL
