-- Help-desk domain (SPEC 12, 13 "Help-desk resources"), owned by sluice_helpdesk.
-- Every table carries tenant_id; every primary key and unique constraint leads
-- with it (Citus-ready). mailbox_routes is the one global lookup: an inbound
-- address belongs to exactly one (tenant, provider) across all tenants.
-- Idempotent creates use idempotency_key columns (SPEC 12: ticket
-- providerId:messageId, comment messageId:ticketId, acknowledgement ticketId:ack).

CREATE TABLE helpdesk_clients (
    tenant_id   text NOT NULL,
    client_id   uuid NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, client_id)
);
CREATE INDEX helpdesk_clients_list ON helpdesk_clients (tenant_id, created_at, client_id);

CREATE TABLE helpdesk_contacts (
    tenant_id   text NOT NULL,
    contact_id  uuid NOT NULL,
    client_id   uuid,
    email       text NOT NULL CHECK (email <> ''),
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, contact_id),
    FOREIGN KEY (tenant_id, client_id) REFERENCES helpdesk_clients (tenant_id, client_id)
);
CREATE UNIQUE INDEX helpdesk_contacts_email ON helpdesk_contacts (tenant_id, lower(email));
CREATE INDEX helpdesk_contacts_list ON helpdesk_contacts (tenant_id, created_at, contact_id);

CREATE TABLE helpdesk_ticket_counters (
    tenant_id    text PRIMARY KEY,
    last_number  bigint NOT NULL
);

CREATE TABLE helpdesk_tickets (
    tenant_id        text NOT NULL,
    ticket_id        uuid NOT NULL,
    ticket_number    text NOT NULL,
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    status           text,
    priority         text,
    board            text,
    category         text,
    subcategory      text,
    client_id        uuid,
    contact_id       uuid,
    location         text,
    entered_by       text,
    source           text NOT NULL DEFAULT 'email',
    idempotency_key  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, ticket_id),
    UNIQUE (tenant_id, ticket_number),
    UNIQUE (tenant_id, idempotency_key),
    FOREIGN KEY (tenant_id, client_id) REFERENCES helpdesk_clients (tenant_id, client_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES helpdesk_contacts (tenant_id, contact_id)
);
CREATE INDEX helpdesk_tickets_list ON helpdesk_tickets (tenant_id, created_at DESC, ticket_id DESC);
CREATE INDEX helpdesk_tickets_status ON helpdesk_tickets (tenant_id, status, created_at DESC, ticket_id DESC);
CREATE INDEX helpdesk_tickets_client ON helpdesk_tickets (tenant_id, client_id, created_at DESC, ticket_id DESC);
CREATE INDEX helpdesk_tickets_contact ON helpdesk_tickets (tenant_id, contact_id, created_at DESC, ticket_id DESC);

CREATE TABLE helpdesk_comments (
    tenant_id          text NOT NULL,
    comment_id         uuid NOT NULL,
    ticket_id          uuid NOT NULL,
    author_type        text NOT NULL CHECK (author_type IN ('contact', 'internal', 'system')),
    author_contact_id  uuid,
    author_address     text,
    format             text NOT NULL CHECK (format IN ('html', 'text')),
    content            text NOT NULL,
    blocks             jsonb NOT NULL DEFAULT '[]',
    unverified_sender  boolean NOT NULL DEFAULT false,
    source_message_id  text,
    idempotency_key    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, comment_id),
    UNIQUE (tenant_id, idempotency_key),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES helpdesk_tickets (tenant_id, ticket_id),
    FOREIGN KEY (tenant_id, author_contact_id) REFERENCES helpdesk_contacts (tenant_id, contact_id)
);
CREATE INDEX helpdesk_comments_ticket ON helpdesk_comments (tenant_id, ticket_id, created_at, comment_id);

-- 26214400 = 25 MiB, the hard ceiling; the repository enforces a configurable cap below it.
CREATE TABLE helpdesk_attachments (
    tenant_id             text NOT NULL,
    attachment_id         uuid NOT NULL,
    ticket_id             uuid NOT NULL,
    comment_id            uuid,
    message_id            text NOT NULL,
    source_attachment_id  text NOT NULL,
    name                  text NOT NULL,
    content_type          text NOT NULL,
    size                  integer NOT NULL CHECK (size >= 0 AND size <= 26214400),
    sha256                text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_id            text,
    data                  bytea NOT NULL CHECK (octet_length(data) = size),
    created_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, attachment_id),
    UNIQUE (tenant_id, ticket_id, message_id, source_attachment_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES helpdesk_tickets (tenant_id, ticket_id)
);
CREATE INDEX helpdesk_attachments_ticket ON helpdesk_attachments (tenant_id, ticket_id, created_at, attachment_id);

CREATE TABLE helpdesk_inbound_emails (
    tenant_id         text NOT NULL,
    inbound_email_id  uuid NOT NULL,
    provider_id       text NOT NULL,
    message_id        text NOT NULL,
    status            text NOT NULL CHECK (status IN ('accepted', 'failed')),
    reason            text,
    raw               bytea NOT NULL,
    size              integer NOT NULL,
    subject           text,
    from_address      text,
    received_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, inbound_email_id),
    UNIQUE (tenant_id, provider_id, message_id)
);
CREATE INDEX helpdesk_inbound_emails_list ON helpdesk_inbound_emails (tenant_id, received_at DESC, inbound_email_id DESC);

-- Attachment bytes stored at intake; the payload carries their ids, never the bytes.
CREATE TABLE helpdesk_inbound_attachments (
    tenant_id         text NOT NULL,
    attachment_id     uuid NOT NULL,
    inbound_email_id  uuid NOT NULL,
    part_id           text NOT NULL,
    name              text NOT NULL,
    content_type      text NOT NULL,
    size              integer NOT NULL CHECK (size >= 0 AND size <= 26214400),
    sha256            text NOT NULL,
    content_id        text,
    data              bytea NOT NULL CHECK (octet_length(data) = size),
    PRIMARY KEY (tenant_id, attachment_id),
    UNIQUE (tenant_id, inbound_email_id, part_id),
    FOREIGN KEY (tenant_id, inbound_email_id)
        REFERENCES helpdesk_inbound_emails (tenant_id, inbound_email_id)
);

-- Message-IDs the help desk sent or received on a ticket (threading by headers).
CREATE TABLE helpdesk_email_threads (
    tenant_id   text NOT NULL,
    message_id  text NOT NULL,
    ticket_id   uuid NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('sent', 'received')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, message_id, ticket_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES helpdesk_tickets (tenant_id, ticket_id)
);
CREATE INDEX helpdesk_email_threads_ticket ON helpdesk_email_threads (tenant_id, ticket_id);

CREATE TABLE helpdesk_reply_tokens (
    tenant_id   text NOT NULL,
    token       text NOT NULL,
    ticket_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, token),
    UNIQUE (tenant_id, ticket_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES helpdesk_tickets (tenant_id, ticket_id)
);

CREATE TABLE helpdesk_email_providers (
    tenant_id        text NOT NULL,
    provider_id      text NOT NULL CHECK (provider_id ~ '^[A-Za-z0-9._:-]{1,100}$'),
    inbound_address  text NOT NULL CHECK (inbound_address = lower(inbound_address)),
    defaults         jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, provider_id),
    UNIQUE (tenant_id, inbound_address)
);

-- Global routing: recipient mailbox -> (tenant, provider). Unique across tenants.
CREATE TABLE mailbox_routes (
    inbound_address  text PRIMARY KEY CHECK (inbound_address = lower(inbound_address)),
    tenant_id        text NOT NULL,
    provider_id      text NOT NULL
);

CREATE TABLE helpdesk_outbound_emails (
    tenant_id          text NOT NULL,
    outbound_email_id  uuid NOT NULL,
    ticket_id          uuid,
    idempotency_key    text NOT NULL,
    to_address         text NOT NULL,
    subject            text NOT NULL,
    body_text          text NOT NULL,
    body_html          text,
    message_id         text NOT NULL,
    headers            jsonb NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts           integer NOT NULL DEFAULT 0,
    last_error         text,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    lease_until        timestamptz,
    sent_at            timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, outbound_email_id),
    UNIQUE (tenant_id, idempotency_key),
    UNIQUE (tenant_id, message_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES helpdesk_tickets (tenant_id, ticket_id)
);
CREATE INDEX helpdesk_outbound_list ON helpdesk_outbound_emails (tenant_id, created_at DESC, outbound_email_id DESC);
-- Rate limiting per recipient: count recent mails to an address.
CREATE INDEX helpdesk_outbound_recipient ON helpdesk_outbound_emails (tenant_id, lower(to_address), created_at);
-- The sender claims due mail across tenants (infrastructure query).
CREATE INDEX helpdesk_outbound_due ON helpdesk_outbound_emails (next_attempt_at) WHERE status = 'pending';
