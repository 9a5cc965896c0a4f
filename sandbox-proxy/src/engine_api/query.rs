//! A request's query string, decoded once and strictly: a key given twice is refused (the
//! engine reads the first value of some and every value of others; the proxy must decide on
//! what the engine uses), except the keys that are lists by design (`t` of `/build`). The
//! forwarded query is rebuilt from the decoded pairs, never the client's bytes.

use super::refusal::Refusal;

/// Keys a client may repeat (each value is checked).
const MULTI: &[&str] = &["t"];

/// The decoded pairs of a query, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Decodes `raw` (without the `?`); refuses repeated keys.
    ///
    /// ```
    /// use docksandbox_proxy::engine_api::query::Query;
    /// let q = Query::parse(Some("all=1&filters=%7B%7D")).unwrap();
    /// assert_eq!(q.get("filters"), Some("{}"));
    /// assert!(Query::parse(Some("networkmode=none&networkmode=host")).is_err());
    /// assert_eq!(Query::parse(Some("t=a&t=b")).unwrap().all("t"), vec!["a", "b"]);
    /// ```
    pub fn parse(raw: Option<&str>) -> Result<Query, Refusal> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if !MULTI.contains(&k.as_ref()) && pairs.iter().any(|(pk, _)| *pk == k) {
                return Err(Refusal::bad_request(format!(
                    "query parameter {k:?} is given twice; docksandbox's scoped Docker access refuses ambiguous requests"
                )));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Query(pairs))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Sets `key` to `value` (replacing it).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_string(), value.into()));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    /// The encoded query (empty when there are no pairs).
    pub fn encode(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            s.append_pair(k, v);
        }
        s.finish()
    }

    /// `path?query`, or `path` alone.
    pub fn with_path(&self, path: &str) -> String {
        let q = self.encode();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }

    /// Adds `label=<key>=<value>` to the `filters` parameter (JSON; both the list form and the
    /// old `{"k": true}` form are read, the list form written), so the engine answers only about
    /// objects carrying that label.
    ///
    /// ```
    /// use docksandbox_proxy::engine_api::query::Query;
    /// let mut q = Query::parse(Some("filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D")).unwrap();
    /// q.add_label_filter("owner", "me").unwrap();
    /// let f: serde_json::Value = serde_json::from_str(q.get("filters").unwrap()).unwrap();
    /// assert_eq!(f["label"], serde_json::json!(["a=b", "owner=me"]));
    /// ```
    pub fn add_label_filter(&mut self, key: &str, value: &str) -> Result<(), Refusal> {
        let mut filters: serde_json::Map<String, serde_json::Value> = match self.get("filters") {
            None | Some("") => serde_json::Map::new(),
            Some(raw) => serde_json::from_str(raw)
                .map_err(|e| Refusal::bad_request(format!("filters is not a JSON object: {e}")))?,
        };
        let mut labels: Vec<serde_json::Value> = match filters.remove("label") {
            None => Vec::new(),
            Some(serde_json::Value::Array(a)) => a,
            Some(serde_json::Value::Object(o)) => o
                .into_iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(|(k, _)| serde_json::Value::String(k))
                .collect(),
            Some(_) => return Err(Refusal::bad_request("filters.label must be a list")),
        };
        labels.push(serde_json::Value::String(format!("{key}={value}")));
        filters.insert("label".into(), serde_json::Value::Array(labels));
        self.set("filters", serde_json::Value::Object(filters).to_string());
        Ok(())
    }
}
