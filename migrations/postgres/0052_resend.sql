-- `rapport resend`: when a failed delivery was put back in the queue. A delivery is resent
-- at most once, so running the command twice (or after the resent email failed again)
-- sends nothing twice.
ALTER TABLE deliveries ADD COLUMN resent_at TIMESTAMPTZ;
