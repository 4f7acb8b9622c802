-- Every instance caches the tokens it has seen (a wall fetches hundreds of tiles
-- a minute). Whatever takes a token's power away or changes it -- `citymap token
-- revoke`, an UPDATE or DELETE typed in psql, a TRUNCATE -- announces the token's id
-- on citymap_tokens ("*" for a TRUNCATE), so that every instance drops it from its
-- cache and closes its /live sockets at once (server/auth/watch.go).
-- last_used_at, which every lookup writes, announces nothing.
CREATE FUNCTION api_tokens_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('citymap_tokens', '*');
    ELSE
        PERFORM pg_notify('citymap_tokens', OLD.id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_changed
    AFTER UPDATE OF revoked_at, expires_at, role, areas, token_hash ON api_tokens
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.areas IS DISTINCT FROM NEW.areas
          OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION api_tokens_notify();

CREATE TRIGGER api_tokens_deleted AFTER DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION api_tokens_notify();

CREATE TRIGGER api_tokens_truncated AFTER TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION api_tokens_notify();
