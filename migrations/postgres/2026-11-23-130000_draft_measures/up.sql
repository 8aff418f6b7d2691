-- A draft may hold a measure that is not filled in yet: kind, location and start date become
-- optional in storage (submission still requires them; see src/domain/request.rs).
ALTER TABLE measures ALTER COLUMN kind DROP NOT NULL;
ALTER TABLE measures ALTER COLUMN location DROP NOT NULL;
ALTER TABLE measures ALTER COLUMN starts_on DROP NOT NULL;
