//! Search (docs/product.md § 14): words anywhere in a request find it, within what the reader may
//! see, ranked, with the words found marked — through the API and the pages, on the test's
//! database (FTS5 on SQLite, tsvector on PostgreSQL).

use serde_json::{Value, json};

use crate::helpers::{Api, Cast, TestApp, day, execute, request_body, spawn_app};

/// Files (creates and submits) a request of `api`'s mission; returns its id.
async fn filed(api: &Api, body: Value) -> String {
    let draft = api.create_request(body).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let (status, r) = api
        .act(
            &id,
            json!({ "action": "submit", "version": draft["version"] }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    id
}

/// A request body with this title and justification, and one measure described so.
fn body(title: &str, justification: &str, description: &str) -> Value {
    let mut b = request_body(title);
    b["justification"] = json!(justification);
    b["measures"] = json!([{
        "kind": "static_guard", "location": "chancery", "starts_on": day(3), "ends_on": day(4),
        "description": description
    }]);
    b
}

/// The ids a search answers, in their order, and its total.
async fn search(api: &Api, q: &str) -> (Vec<String>, Value) {
    let (status, r) = api
        .get(&format!(
            "/api/v1/requests?q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(status, 200, "{r}");
    let ids = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, r)
}

/// The text of fragments, with the found ones in [brackets].
fn marked(fragments: &Value) -> String {
    fragments
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = f["text"].as_str().unwrap();
            if f["found"] == json!(true) {
                format!("[{text}]")
            } else {
                text.to_owned()
            }
        })
        .collect()
}

#[actix_web::test]
async fn words_of_every_searched_text_find_the_request_with_the_words_marked() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mut b = body(
        "Guard at the national day reception",
        "The Minister for Foreign Affairs attends; threats were made against the delegation.",
        "Escort for Guðrún Sigurðardóttir from the airport",
    );
    b["event"] = json!({
        "name": "Þjóðhátíðardagurinn", "venue": "Hótel Continental",
        "address": "Stortingsgata 24, Oslo",
        "starts_at": format!("{}T18:00", day(3)), "ends_at": format!("{}T22:00", day(3))
    });
    let id = filed(&staff, b).await;
    let other = filed(
        &staff,
        body("Patrols", "Leaflets were found at the gate.", "Patrols"),
    )
    .await;
    let mfa = app.api(&c.mfa).await;
    let (_, request) = mfa.get(&format!("/api/v1/requests/{id}")).await;
    let reference = request["reference"].as_str().unwrap().to_owned();

    // Accents and case do not matter: "Sigurdardottir" finds "Sigurðardóttir".
    let (ids, r) = search(&mfa, "sigurdardottir").await;
    assert_eq!(ids, vec![id.clone()]);
    assert_eq!(r["total"], 1);
    let found = &r["items"][0]["found"];
    assert_eq!(
        marked(&found["title"]),
        "Guard at the national day reception"
    );
    assert_eq!(found["passage"]["field"], "measure");
    assert_eq!(
        marked(&found["passage"]["fragments"]),
        "Escort for Guðrún [Sigurðardóttir] from the airport"
    );

    for (q, field, passage) in [
        (
            "MINISTER delegation",
            "justification",
            "The [Minister] for Foreign Affairs attends; threats were made against the [delegation].",
        ),
        ("thjodhatidardagurinn", "event", "[Þjóðhátíðardagurinn]"),
        ("hotel", "venue", "[Hótel] Continental"),
    ] {
        let (ids, r) = search(&mfa, q).await;
        assert_eq!(ids, vec![id.clone()], "{q}");
        assert_eq!(r["items"][0]["found"]["passage"]["field"], field, "{q}");
        assert_eq!(
            marked(&r["items"][0]["found"]["passage"]["fragments"]),
            passage
        );
    }
    // The title's words are marked in the title; whole words only.
    assert!(search(&mfa, "reception nat").await.0.is_empty());
    let (ids, r) = search(&mfa, "reception national").await;
    assert_eq!(ids, vec![id.clone()]);
    assert_eq!(
        marked(&r["items"][0]["found"]["title"]),
        "Guard at the [national] day [reception]"
    );
    // The reference and the mission's name.
    assert_eq!(search(&mfa, &reference).await.0, vec![id.clone()]);
    let (mut ids, _) = search(&mfa, "Embassy of Iceland").await;
    ids.sort();
    let mut both = vec![id.clone(), other.clone()];
    both.sort();
    assert_eq!(ids, both);
    // Every word must be found.
    assert!(search(&mfa, "sigurdardottir leaflets").await.0.is_empty());
    // Words that are not searched: a contact's name is not a request's text.
    assert!(search(&mfa, "Jónsdóttir").await.0.is_empty());

    // The queue page shows the same, the words marked.
    let browser = app.signed_in(&mut c.mfa).await;
    let page = browser.get("/?queue=all&q=Sigurdardottir").await;
    assert!(
        page.body.contains("<mark>Sigurðardóttir</mark>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&reference));
    assert!(!page.body.contains("Patrols"));
    assert!(page.body.contains("1 request"));
}

#[actix_web::test]
async fn words_in_the_title_rank_above_words_in_the_text_and_filters_still_apply() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let in_text = filed(
        &staff,
        body(
            "Guard at the residence",
            "A convoy passes the residence.",
            "Guard",
        ),
    )
    .await;
    let in_title = filed(
        &staff,
        body(
            "Convoy to the airport",
            "The delegation leaves on Sunday.",
            "Escort",
        ),
    )
    .await;
    let twice = filed(
        &staff,
        body(
            "Convoy and escort",
            "The convoy needs an escort through the city.",
            "Convoy escort",
        ),
    )
    .await;
    let mfa = app.api(&c.mfa).await;
    let (ids, _) = search(&mfa, "convoy").await;
    assert_eq!(ids, [twice.clone(), in_title.clone(), in_text.clone()]);

    // A filter narrows the results: take one, and search among those in triage.
    let (_, r) = mfa.get(&format!("/api/v1/requests/{in_title}")).await;
    let (status, _) = mfa
        .act(
            &in_title,
            json!({ "action": "take", "version": r["version"] }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, r) = mfa.get("/api/v1/requests?q=convoy&status=in_triage").await;
    assert_eq!(status, 200);
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["items"][0]["id"], json!(in_title));
    assert_eq!(r["total"], 1);
}

#[actix_web::test]
async fn results_are_read_page_by_page_from_cursors_none_repeated_none_left_out() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let mut filed_ids = Vec::new();
    for n in 0..7 {
        filed_ids.push(
            filed(
                &staff,
                body(
                    &format!("Motorcade {n}"),
                    "A motorcade crosses Oslo.",
                    "Patrol",
                ),
            )
            .await,
        );
    }
    // With the index's statistics gathered, PostgreSQL chooses its path by them (without, it
    // asks the index how many documents match); the answers are the same.
    execute(&app, "ANALYZE requests_search");
    let mfa = app.api(&c.mfa).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/requests?q=motorcade&per_page=3".to_owned();
    loop {
        let (status, r) = mfa.get(&path).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["total"], 7);
        for item in r["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match r["next"].as_str() {
            Some(next) => path = format!("/api/v1/requests?q=motorcade&per_page=3&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    seen.sort();
    filed_ids.sort();
    assert_eq!(seen, filed_ids);
    // A cursor is the search's own: with other words it is refused.
    let (_, first) = mfa.get("/api/v1/requests?q=motorcade&per_page=3").await;
    let next = first["next"].as_str().unwrap();
    let (status, r) = mfa
        .get(&format!("/api/v1/requests?q=oslo&per_page=3&after={next}"))
        .await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(r["error"]["fields"][0]["field"], "after");
}

/// Each search of mission A's, as mission A's staff get it.
async fn a_searches(app: &TestApp, c: &Cast) -> Vec<(u16, Value)> {
    let staff = app.api(&c.a).await;
    let mut out = Vec::new();
    for q in ["zanzibar", "guard", "guard chancery", "embassy"] {
        out.push(staff.get(&format!("/api/v1/requests?q={q}")).await);
    }
    out
}

#[actix_web::test]
async fn a_mission_never_finds_counts_or_is_ranked_by_another_missions_words() {
    let app = spawn_app().await;
    let mut c = app.cast().await;
    let a = app.api(&c.a).await;
    let b = app.api(&c.b).await;
    filed(
        &a,
        body(
            "Guard at the chancery",
            "Threats were received by e-mail.",
            "Guard",
        ),
    )
    .await;
    filed(
        &a,
        body(
            "Patrols",
            "A guard is needed at the chancery gate.",
            "Patrols",
        ),
    )
    .await;
    let before = a_searches(&app, &c).await;

    // Mission B writes a word nobody else uses, and many more of the words A searches for.
    let b_word = filed(
        &b,
        body(
            "Zanzibar delegation",
            "The zanzibar delegation arrives.",
            "Zanzibar",
        ),
    )
    .await;
    for n in 0..5 {
        filed(
            &b,
            body(
                &format!("Guard guard {n}"),
                "Guard the chancery: guard, guard, guard.",
                "Guard at the chancery",
            ),
        )
        .await;
    }
    let after = a_searches(&app, &c).await;
    // Mission A's every answer is the same, byte for byte: B's words neither appear, nor count,
    // nor move A's results.
    assert_eq!(after, before);
    assert_eq!(after[0].1["items"], json!([]));
    assert_eq!(after[0].1["total"], 0);
    // The Ministry finds B's word.
    let mfa = app.api(&c.mfa).await;
    assert_eq!(search(&mfa, "zanzibar").await.0, [b_word]);
    // And A's page says it has none.
    let browser = app.signed_in(&mut c.a).await;
    let page = browser.get("/?q=zanzibar").await;
    assert!(!page.body.to_lowercase().contains("<mark>zanzibar"));
    assert!(page.body.contains("0 requests"), "{}", page.body);
}

#[actix_web::test]
async fn each_authority_searches_only_what_it_may_see() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let draft = staff
        .create_request(body(
            "Draft about kestrels",
            "Kestrels nest on the roof.",
            "Guard",
        ))
        .await;
    let submitted = filed(
        &staff,
        body(
            "Kestrels at the gate",
            "Kestrels were seen on the gate.",
            "Guard",
        ),
    )
    .await;
    let mfa = app.api(&c.mfa).await;
    let police = app.api(&c.police).await;
    let pst = app.api(&c.pst).await;
    // The mission finds its draft too; the Ministry only what was submitted; the police and PST
    // nothing that has not reached them.
    let (mut mine, _) = search(&staff, "kestrels").await;
    mine.sort();
    let mut expected = vec![draft["id"].as_str().unwrap().to_owned(), submitted.clone()];
    expected.sort();
    assert_eq!(mine, expected);
    assert_eq!(search(&mfa, "kestrels").await.0, vec![submitted.clone()]);
    assert!(search(&police, "kestrels").await.0.is_empty());
    assert!(search(&pst, "kestrels").await.0.is_empty());

    // Forwarded, the police find it; referred, PST does.
    let (_, r) = mfa.get(&format!("/api/v1/requests/{submitted}")).await;
    let (s, r) = mfa
        .act(
            &submitted,
            json!({ "action": "take", "version": r["version"] }),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = mfa
        .act(
            &submitted,
            json!({ "action": "forward_to_police", "version": r["version"] }),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(search(&police, "kestrels").await.0, vec![submitted.clone()]);
    assert!(search(&pst, "kestrels").await.0.is_empty());
    let (_, r) = police.get(&format!("/api/v1/requests/{submitted}")).await;
    let (s, r) = police
        .act(
            &submitted,
            json!({ "action": "refer_to_pst", "version": r["version"] }),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(search(&pst, "kestrels").await.0, [submitted]);
    // Administrators list no requests at all.
}

#[actix_web::test]
async fn the_index_follows_every_change_of_a_requests_words() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let staff = app.api(&c.a).await;
    let draft = staff
        .create_request(body("Albatross watch", "Nothing yet.", "Guard"))
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(search(&staff, "albatross").await.0, vec![id.clone()]);

    // Edited: the old words are gone, the new ones found.
    let mut changed = body("Cormorant watch", "Nothing yet.", "Guard");
    changed["version"] = draft["version"].clone();
    let (status, r) = staff
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/requests/{id}"),
            Some(changed),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert!(search(&staff, "albatross").await.0.is_empty());
    assert_eq!(search(&staff, "cormorant").await.0, vec![id.clone()]);

    // The mission renamed: its new name finds its requests.
    {
        let mut conn = app.pool.get().unwrap();
        let mission = c.mission_a.clone();
        protection_portal::db::write(&mut conn, |conn| {
            protection_portal::db::missions::rename(
                conn,
                &mission,
                "Embassy of the Republic of Iceland",
                protection_portal::app::now(),
            )
        })
        .unwrap();
    }
    assert_eq!(search(&staff, "republic").await.0, vec![id.clone()]);

    // A request stored before the index existed is added by the portal's own work.
    execute(&app, "DELETE FROM requests_search");
    assert!(search(&staff, "cormorant").await.0.is_empty());
    {
        let mut conn = app.pool.get().unwrap();
        let waiting = protection_portal::app::requests::unindexed(&mut conn, 100).unwrap();
        assert_eq!(waiting, vec![id.clone()]);
        assert!(protection_portal::app::requests::index_one(&mut conn, &id).unwrap());
        assert!(
            protection_portal::app::requests::unindexed(&mut conn, 100)
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(search(&staff, "cormorant").await.0, vec![id.clone()]);

    // Discarded: gone from the index with the draft.
    let (_, r) = staff.get(&format!("/api/v1/requests/{id}")).await;
    let (status, _) = staff
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/requests/{id}?version={}", r["version"]),
            None,
        )
        .await;
    assert!(status == 204 || status == 200, "{status}");
    assert!(search(&staff, "cormorant").await.0.is_empty());
    assert_eq!(
        crate::helpers::text_rows(
            &app,
            "SELECT CAST(COUNT(*) AS TEXT) AS line FROM requests_search"
        ),
        ["0"]
    );
}
