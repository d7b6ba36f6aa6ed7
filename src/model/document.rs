//! SSM documents (ListDocuments, DescribeDocument, GetDocument): what can be run, and the
//! parameters a document takes.

/// One document of a listing (ListDocuments' `DocumentIdentifier`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentSummary {
    pub name: String,
    /// `Amazon`, an account id, or another owner as AWS reports it.
    pub owner: String,
    /// `Command`, `Automation`, `Session`, ...
    pub document_type: String,
    /// `JSON`, `YAML`, `TEXT`.
    pub document_format: String,
    /// `Linux`, `Windows`, `MacOS`.
    pub platform_types: Vec<String>,
    pub document_version: String,
    pub schema_version: String,
    pub target_type: String,
}

/// Which documents to list (ListDocuments `Filters`; every `Some` must match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// `Self`, `Amazon`, `Public`, `Private`, `ThirdParty`, `All`, or an account id.
    pub owner: Option<String>,
    /// `Command` for Run Command.
    pub document_type: Option<String>,
    /// `Linux`, `Windows`, `MacOS`.
    pub platform_type: Option<String>,
    /// Names starting with this.
    pub name_prefix: Option<String>,
}

impl DocumentFilter {
    /// Documents Run Command can send (`DocumentType = Command`).
    pub fn commands() -> Self {
        DocumentFilter {
            document_type: Some("Command".into()),
            ..DocumentFilter::default()
        }
    }
}

/// One document in full (DescribeDocument, with GetDocument's parameter details).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentDescription {
    pub name: String,
    pub owner: String,
    pub description: String,
    pub document_type: String,
    pub document_format: String,
    pub platform_types: Vec<String>,
    /// The version described.
    pub document_version: String,
    pub default_version: String,
    pub latest_version: String,
    /// `Active`, `Creating`, `Updating`, `Deleting`, `Failed`.
    pub status: String,
    pub parameters: Vec<DocumentParameter>,
    /// Why the allowed values and patterns are unknown (GetDocument failed or its content
    /// could not be read); `None` when they were read.
    pub content_error: Option<String>,
}

/// One parameter of a document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentParameter {
    pub name: String,
    /// `String`, `StringList`, `Boolean`, `Integer`, `MapList`, `StringMap`.
    pub kind: String,
    pub description: String,
    pub default_value: Option<String>,
    /// The values the document allows (`allowedValues`); empty = any.
    pub allowed_values: Vec<String>,
    /// A regular expression values must match (`allowedPattern`).
    pub allowed_pattern: Option<String>,
}
