-- Empty the pending tokens once merged (tokens_merge, same transaction). Params: none.
DELETE FROM tokens_pending;
