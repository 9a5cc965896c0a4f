//! A request the scoped-docker proxy does not forward: an HTTP status and a Docker-style error
//! body (`{"message": …}`), which the docker CLI prints as `Error response from daemon: …`.

/// Why a request was not forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status returned (400, 403, 404, 413).
    pub status: u16,
    /// What the client is told.
    pub message: String,
}

impl Refusal {
    /// 403: the request is understood and not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Refusal {
            status: 403,
            message: message.into(),
        }
    }

    /// 400: the request cannot be read strictly enough to be decided.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Refusal {
            status: 400,
            message: message.into(),
        }
    }

    /// 404: the object is not one of this sandbox's (foreign objects do not exist for it).
    pub fn not_found(kind: &str, name: &str) -> Self {
        Refusal {
            status: 404,
            message: format!("No such {kind}: {name} (docksandbox's scoped Docker access sees only this sandbox's objects)"),
        }
    }

    /// The body sent back.
    ///
    /// ```
    /// let r = docksandbox_proxy::engine_api::Refusal::forbidden("privileged containers are refused");
    /// assert_eq!(r.body(), r#"{"message":"privileged containers are refused"}"#);
    /// ```
    pub fn body(&self) -> String {
        serde_json::json!({ "message": self.message }).to_string()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}
