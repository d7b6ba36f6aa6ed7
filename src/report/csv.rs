//! CSV: one table per report (RFC 4180 via the `csv` crate), every cell passed through
//! [`safety::csv_cell`] (control characters stripped, formula injection neutralised).

use std::io::{self, Write};

use super::Report;
use super::safety;

/// Write a header row and data rows as CSV. Cells are neutralised here, so callers pass
/// raw text.
pub fn write_table<S: AsRef<str>>(
    headers: &[S],
    rows: &[Vec<String>],
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(headers.iter().map(|h| safety::csv_cell(h.as_ref())))
        .map_err(into_io)?;
    for row in rows {
        out.write_record(row.iter().map(|c| safety::csv_cell(c)))
            .map_err(into_io)?;
    }
    out.flush()
}

fn into_io(e: ::csv::Error) -> io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// The report's table as CSV, written row by row.
pub fn write_report(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(report.headers().iter().map(|h| safety::csv_cell(h)))
        .map_err(into_io)?;
    report.for_each_cells(|row| {
        out.write_record(row.iter().map(|c| safety::csv_cell(c)))
            .map_err(into_io)
    })?;
    out.flush()
}
