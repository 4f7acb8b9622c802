-- What a token may read (server/auth, store.Viewer).

-- A reporter token belongs to one hotline or partner system, named by the issue
-- source it reports for: it submits under that source only and reads that
-- source's cases only. A reporter without a source (a lot system, an older
-- key) reads only the cases it reported itself.
ALTER TABLE api_tokens ADD COLUMN source text
    CHECK (source IN ('hotline_12345', 'hotline_12319', 'grid_patrol', 'inspection', 'sensor',
                      'citizen_app', 'open311')),
    ADD CONSTRAINT api_tokens_source CHECK (source IS NULL OR role = 'reporter');

-- Everyone who uploaded a photo: photos are kept by content, so the second
-- uploader of the same bytes shares the first one's record, and may read back
-- its own upload all the same before the photo belongs to a case.
CREATE TABLE photo_uploads (
    photo_id    text NOT NULL REFERENCES photos (id),
    uploaded_by text NOT NULL,
    PRIMARY KEY (photo_id, uploaded_by)
);
INSERT INTO photo_uploads (photo_id, uploaded_by) SELECT id, uploaded_by FROM photos;

-- A photo is served to those who may see a case or an inspection it belongs
-- to: these find them by the photo.
CREATE INDEX issues_photos_idx ON issues USING gin (photos);
CREATE INDEX inspections_photos_idx ON inspections USING gin (photos);

-- A reporter without a source reads the cases whose report event it wrote.
CREATE INDEX issue_events_report_actor_idx ON issue_events (actor, issue_id) WHERE action = 'report';
