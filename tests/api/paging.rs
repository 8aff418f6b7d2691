//! Long lists (issue 9): counts stop at 1,000, pages are read on from cursors (keyset paging),
//! and reading a list page by page, forwards or backwards, gives every request exactly once and
//! in the list's order — also where requests share a submission or creation time.

use serde_json::Value;

use crate::helpers::{Api, Person, execute, spawn_app, text_rows};

fn ids_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Reads a list through the API from its first page to its end by following `next`.
async fn walk(api: &Api, query: &str) -> Vec<String> {
    let (status, mut list) = api.get(&format!("/api/v1/requests?{query}")).await;
    assert_eq!(status, 200, "{list}");
    let mut ids = ids_of(&list);
    while let Some(next) = list["next"].as_str().map(str::to_owned) {
        let (status, page) = api
            .get(&format!("/api/v1/requests?{query}&after={next}"))
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(
            !page["items"].as_array().unwrap().is_empty(),
            "a next cursor leads to rows"
        );
        ids.extend(ids_of(&page));
        list = page;
    }
    ids
}

/// The rows of a queue page, by the links in its table.
fn rows_of(html: &str) -> Vec<String> {
    html.split("href=\"/requests/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|id| *id != "new")
        .map(str::to_owned)
        .collect()
}

fn link(html: &str, rel: &str) -> Option<String> {
    let before_rel = html.split(&format!("rel=\"{rel}\"")).next()?;
    if before_rel.len() == html.len() {
        return None;
    }
    let href = before_rel.rsplit("href=\"").next()?;
    Some(href.split('"').next()?.replace("&amp;", "&"))
}

#[actix_web::test]
async fn long_lists_count_to_a_bound_and_page_by_cursor_in_order() {
    let app = spawn_app().await;
    let c = app.cast().await;
    app.run_command(&[
        "seed",
        "--requests",
        "1300",
        "--missions",
        "2",
        "--batch",
        "500",
    ]);
    // Ties: a third of the submitted requests share one submission time, and a mission's
    // requests share creation times, so that only the id tells them apart.
    execute(
        &app,
        "UPDATE requests SET submitted_at = (SELECT MIN(submitted_at) FROM requests) \
         WHERE submitted_at IS NOT NULL AND id < '5'",
    );
    execute(
        &app,
        "UPDATE requests SET created_at = (SELECT MIN(created_at) FROM requests) WHERE id > 'b'",
    );

    // The MFA: 1,200 submitted requests, counted to 1,000.
    let mfa = app.api(&c.mfa).await;
    let (status, first) = mfa.get("/api/v1/requests?per_page=100").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["total"], 1000);
    assert_eq!(first["total_capped"], true);
    let expected = text_rows(
        &app,
        "SELECT id AS line FROM requests WHERE state <> 'draft' \
         ORDER BY urgency DESC, submitted_at ASC, id ASC",
    );
    assert_eq!(expected.len(), 1200);
    assert_eq!(walk(&mfa, "per_page=100").await, expected);
    assert_eq!(walk(&mfa, "per_page=7").await, expected);
    // Filters hold while reading on.
    let in_effect = text_rows(
        &app,
        "SELECT id AS line FROM requests WHERE state = 'in_effect' \
         ORDER BY urgency DESC, submitted_at ASC, id ASC",
    );
    assert_eq!(walk(&mfa, "per_page=9&status=in_effect").await, in_effect);
    let (_, small) = mfa.get("/api/v1/requests?status=in_effect").await;
    assert_eq!(small["total"], in_effect.len());
    assert_eq!(small["total_capped"], false);

    // Pages by number reach the first 10,000; cursors are checked.
    let (status, body) = mfa.get("/api/v1/requests?per_page=100&page=101").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "page", "{body}");
    let (status, body) = mfa
        .get(&format!("/api/v1/requests?page={}", i64::MAX))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "page", "{body}");
    let next = first["next"].as_str().unwrap();
    let (status, body) = mfa
        .get(&format!("/api/v1/requests?page=2&after={next}"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "after", "{body}");
    for bad in [
        "x",
        "q.2.1.abc",
        "q.1.notanumber.abc",
        "z.1.1.abc",
        "q.1.1.a'b",
    ] {
        let (status, body) = mfa.get(&format!("/api/v1/requests?after={bad}")).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], "after",
            "{bad}: {body}"
        );
    }

    // A mission reads its own requests, needing its action first, then newest.
    let staff_id = text_rows(
        &app,
        "SELECT id AS line FROM users WHERE role = 'mission_staff' AND mission_id IN \
         (SELECT mission_id FROM requests) ORDER BY email LIMIT 1",
    )
    .remove(0);
    let mission = text_rows(
        &app,
        &format!("SELECT mission_id AS line FROM users WHERE id = '{staff_id}'"),
    )
    .remove(0);
    let staff = app
        .api(&Person {
            id: staff_id.clone(),
            email: String::new(),
            password: String::new(),
            totp_secret: None,
            last_step: 0,
        })
        .await;
    let own = text_rows(
        &app,
        &format!(
            "SELECT id AS line FROM requests WHERE mission_id = '{mission}' ORDER BY \
             CASE WHEN state = 'awaiting_mission' THEN 0 ELSE 1 END, created_at DESC, id ASC"
        ),
    );
    assert!(own.len() > 600, "{}", own.len());
    assert_eq!(walk(&staff, "per_page=100").await, own);
    // A cursor from another person's list is not one this list gave out.
    let (status, body) = staff.get(&format!("/api/v1/requests?after={next}")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "after", "{body}");

    // The MFA's queue page: "more than 1,000", and Next / Previous by cursor.
    let mut officer = c.mfa.clone();
    let browser = app.signed_in(&mut officer).await;
    let page1 = browser.get("/?queue=all").await;
    assert_eq!(page1.status, 200);
    assert!(
        page1.body.contains("More than 1000 requests"),
        "{}",
        page1.body
    );
    assert!(link(&page1.body, "prev").is_none());
    let rows1 = rows_of(&page1.body);
    assert_eq!(rows1, expected[..25]);
    let page2 = browser.get(&link(&page1.body, "next").unwrap()).await;
    assert!(page2.body.contains("Page 2</span>"), "{}", page2.body);
    assert_eq!(rows_of(&page2.body), expected[25..50]);
    // A page number from the address bar is only shown; the largest one does not overflow.
    let far = browser
        .get(&format!(
            "/?queue=all&page={}&after={}",
            i64::MAX,
            link(&page1.body, "next")
                .unwrap()
                .split("after=")
                .nth(1)
                .unwrap()
        ))
        .await;
    assert_eq!(far.status, 200);
    assert_eq!(rows_of(&far.body), expected[25..50]);
    let page3 = browser.get(&link(&page2.body, "next").unwrap()).await;
    assert_eq!(rows_of(&page3.body), expected[50..75]);
    let back2 = browser.get(&link(&page3.body, "prev").unwrap()).await;
    assert_eq!(rows_of(&back2.body), expected[25..50]);
    let back1 = browser.get(&link(&back2.body, "prev").unwrap()).await;
    assert_eq!(rows_of(&back1.body), rows1);
    assert!(
        link(&back1.body, "prev").is_none(),
        "back on the first page"
    );
    // A list that fits in the count still says how many pages it has.
    let filtered = browser.get("/?queue=all&status=in_effect").await;
    assert!(
        filtered
            .body
            .contains(&format!("{} requests", in_effect.len())),
        "{}",
        filtered.body
    );
    let pages = in_effect.len().div_ceil(25);
    assert!(
        filtered.body.contains(&format!("Page 1 of {pages}")),
        "{}",
        filtered.body
    );
}
