-- E-mails and company names are now compared by their canonical form (trimmed,
-- NFC, lower-cased, an e-mail's domain in IDNA ASCII; `server/src/canonical.rs`),
-- which SQL cannot compute: the Rust step that follows this file
-- (`server/src/store/rekey.rs`) writes every key again. First every key is set
-- aside (suffixed with U+200B and the row's id, a form no new key takes), so the
-- unique indexes hold at every step and no row's new key can meet another row's
-- old one while the keys are rewritten.
UPDATE people SET email_norm = email_norm || char(8203) || id WHERE email_norm IS NOT NULL;
UPDATE organizations SET name_norm = name_norm || char(8203) || id;
