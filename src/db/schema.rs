// @generated automatically by Diesel CLI.

diesel::table! {
    account_tokens (id) {
        id -> Text,
        purpose -> Text,
        user_id -> Nullable<Text>,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        scope -> Text,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        request_id -> Text,
        author_id -> Text,
        threat_level -> Text,
        summary -> Text,
        classification -> Text,
        declassify_on -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        request_id -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        visibility -> Text,
        classification -> Text,
        declassify_on -> Nullable<Date>,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        chunks -> Integer,
    }
}

diesel::table! {
    attachment_chunks (attachment_id, seq) {
        attachment_id -> Text,
        seq -> Integer,
        bytes -> Binary,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        method_path -> Text,
        fingerprint -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    instance_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    measures (id) {
        id -> Text,
        request_id -> Text,
        position -> Integer,
        kind -> Nullable<Text>,
        location -> Nullable<Text>,
        address -> Nullable<Text>,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        description -> Text,
        outcome -> Nullable<Text>,
        conditions -> Nullable<Text>,
        implemented_on -> Nullable<Date>,
        ended_on -> Nullable<Date>,
        decline_reason -> Nullable<Text>,
        from_time -> Nullable<Text>,
        until_time -> Nullable<Text>,
        calendar_until -> Nullable<Date>,
    }
}

diesel::table! {
    messages (id) {
        id -> Text,
        request_id -> Text,
        author_id -> Text,
        visibility -> Text,
        classification -> Text,
        declassify_on -> Nullable<Date>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mission_threat_levels (id) {
        id -> Text,
        mission_id -> Text,
        level -> Text,
        note -> Text,
        classification -> Text,
        declassify_on -> Date,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    missions (id) {
        id -> Text,
        name -> Text,
        country -> Text,
        kind -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (user_id, kind) {
        user_id -> Text,
        kind -> Text,
        email -> Bool,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        request_id -> Nullable<Text>,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        recipient_user_id -> Nullable<Text>,
        recipient_email -> Text,
        request_id -> Nullable<Text>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        leased_by -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    portal_jobs (job) {
        job -> Text,
        last_started_at -> Timestamp,
        last_finished_at -> Timestamp,
        last_done -> Integer,
        last_failed -> Integer,
        last_failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        last_instance -> Text,
        total_done -> BigInt,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Text,
        user_id -> Text,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Integer,
        last_seq -> Integer,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        mission_id -> Text,
        reference -> Nullable<Text>,
        state -> Text,
        version -> Integer,
        title -> Text,
        justification -> Text,
        urgency -> Text,
        contact_name -> Text,
        contact_phone -> Text,
        contact_email -> Text,
        created_by -> Text,
        assigned_officer_id -> Nullable<Text>,
        reached_police -> Bool,
        referred_to_pst -> Bool,
        referred_by -> Nullable<Text>,
        reply -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        partly_approved -> Bool,
        note_verbale_number -> Nullable<Text>,
        note_verbale_dated_on -> Nullable<Date>,
        due_on -> Date,
        due_stage -> Nullable<Text>,
        due_rules -> Nullable<Text>,
        in_place_from -> Nullable<Date>,
        pst_due_on -> Nullable<Date>,
        next_review_on -> Nullable<Date>,
        review_announced_for -> Nullable<Date>,
    }
}

diesel::table! {
    request_events (request_id) {
        request_id -> Text,
        name -> Text,
        venue -> Text,
        address -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        expected_attendance -> Nullable<Integer>,
    }
}

diesel::table! {
    protected_persons (id) {
        id -> Text,
        request_id -> Text,
        ordinal -> Integer,
        name -> Text,
        position -> Text,
        arrives_at -> Nullable<Timestamp>,
        leaves_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    escalations (request_id, stage) {
        request_id -> Text,
        stage -> Text,
        due_on -> Date,
        escalated_at -> Timestamp,
    }
}

diesel::table! {
    security_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        event -> Text,
        outcome -> Text,
        actor_user_id -> Nullable<Text>,
        actor_org -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Nullable<Text>,
        state -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        client_addr -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    sign_in_throttle (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        first_failure_at -> Timestamp,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    timeline_events (id) {
        id -> Text,
        request_id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        mission_visible -> Bool,
        assignee_id -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        mission_id -> Nullable<Text>,
        clearance -> Text,
        password_hash -> Nullable<Text>,
        password_changed_at -> Nullable<Timestamp>,
        totp_secret -> Nullable<Text>,
        totp_confirmed_at -> Nullable<Timestamp>,
        totp_last_step -> Nullable<BigInt>,
        locale -> Text,
        active -> Bool,
        last_sign_in_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    request_stages (request_id, stage) {
        request_id -> Text,
        stage -> Text,
        began_on -> Date,
        due_on -> Date,
        ended_on -> Nullable<Date>,
        working_days -> Nullable<Integer>,
        reached_police -> Bool,
    }
}

diesel::table! {
    statistics_backlog (request_id) {
        request_id -> Text,
    }
}

diesel::table! {
    statistics_measures (month, kind, outcome, reached_police) {
        month -> Date,
        kind -> Text,
        outcome -> Text,
        reached_police -> Bool,
        n -> BigInt,
    }
}

diesel::table! {
    statistics_missions (month, mission_id, state, partly_approved, reached_police) {
        month -> Date,
        mission_id -> Text,
        state -> Text,
        partly_approved -> Bool,
        reached_police -> Bool,
        n -> BigInt,
    }
}

diesel::table! {
    statistics_open (due_on, stage, reached_police) {
        due_on -> Date,
        stage -> Text,
        reached_police -> Bool,
        n -> BigInt,
    }
}

diesel::table! {
    statistics_recount (asked) {
        asked -> Bool,
    }
}

diesel::table! {
    statistics_requests (month, state, partly_approved, reached_police) {
        month -> Date,
        state -> Text,
        partly_approved -> Bool,
        reached_police -> Bool,
        n -> BigInt,
    }
}

diesel::table! {
    statistics_stages (month, stage, working_days, met, reached_police) {
        month -> Date,
        stage -> Text,
        working_days -> Integer,
        met -> Bool,
        reached_police -> Bool,
        n -> BigInt,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(attachments -> requests (request_id));
diesel::joinable!(attachments -> users (uploaded_by));
diesel::joinable!(attachment_chunks -> attachments (attachment_id));
diesel::joinable!(assessments -> requests (request_id));
diesel::joinable!(assessments -> users (author_id));
diesel::joinable!(measures -> requests (request_id));
diesel::joinable!(messages -> requests (request_id));
diesel::joinable!(messages -> users (author_id));
diesel::joinable!(mission_threat_levels -> missions (mission_id));
diesel::joinable!(mission_threat_levels -> users (recorded_by));
diesel::joinable!(notification_preferences -> users (user_id));
diesel::joinable!(notifications -> requests (request_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(outbox -> requests (request_id));
diesel::joinable!(outbox -> users (recipient_user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(requests -> missions (mission_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(timeline_events -> requests (request_id));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(protected_persons -> requests (request_id));
diesel::joinable!(escalations -> requests (request_id));
diesel::joinable!(request_stages -> requests (request_id));
diesel::joinable!(statistics_backlog -> requests (request_id));
diesel::joinable!(timeline_events -> users (actor_id));
diesel::joinable!(users -> missions (mission_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    api_tokens,
    assessments,
    attachment_chunks,
    attachments,
    escalations,
    idempotency_keys,
    instance_secrets,
    measures,
    messages,
    mission_threat_levels,
    missions,
    notification_preferences,
    notifications,
    outbox,
    portal_jobs,
    protected_persons,
    recovery_codes,
    reference_counters,
    request_events,
    request_stages,
    requests,
    security_log,
    sessions,
    sign_in_throttle,
    statistics_backlog,
    statistics_measures,
    statistics_missions,
    statistics_open,
    statistics_recount,
    statistics_requests,
    statistics_stages,
    timeline_events,
    users,
);
