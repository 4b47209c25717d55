-- The history of changes: one row per write that reached the vendor (one Worker call, at most
-- 100 accounts), its accounts with their tags before and after, and the tags it touched.
-- Times are milliseconds since the Unix epoch; tag lists are JSON arrays.

-- AUTOINCREMENT: an id is never given twice, even once retention has emptied the table, so
-- that an id kept elsewhere (a link, an undo_of) never names another change.
CREATE TABLE changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  caller TEXT NOT NULL,
  op TEXT NOT NULL,
  api TEXT NOT NULL,
  request_id TEXT NOT NULL,
  tags TEXT NOT NULL,
  replace_all INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  code INTEGER NOT NULL,
  accounts INTEGER NOT NULL,
  done INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  batch TEXT,
  undo_of INTEGER
);
-- The list is newest first by id; each filter has an index that leads to its changes' ids.
CREATE INDEX changes_by_time ON changes (at);
CREATE INDEX changes_by_caller ON changes (caller, id);
CREATE INDEX changes_by_batch ON changes (batch, id) WHERE batch IS NOT NULL;
CREATE INDEX changes_by_op ON changes (op, id);
CREATE INDEX changes_by_outcome ON changes (outcome, id);

-- Without rowids, so that inserting them leaves last_insert_rowid() at the change's id.
CREATE TABLE change_accounts (
  change_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  account TEXT NOT NULL,
  outcome TEXT NOT NULL,
  code INTEGER NOT NULL,
  tags_before TEXT,
  tags_after TEXT,
  PRIMARY KEY (change_id, position)
) WITHOUT ROWID;
CREATE INDEX change_accounts_by_account ON change_accounts (account, change_id);

CREATE TABLE change_tags (
  tag TEXT NOT NULL,
  change_id INTEGER NOT NULL,
  PRIMARY KEY (tag, change_id)
) WITHOUT ROWID;
CREATE INDEX change_tags_by_change ON change_tags (change_id);
