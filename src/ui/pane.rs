//! Panes: modal overlays on top of the view stack. The contract (the [`Pane`] trait, its
//! context, the [`Selection`] it opens from) lives with the views' in
//! [`super::views::contract`], and panes register in [`super::views::REGISTRY`] like views;
//! this module re-exports the pane side of it.

pub use super::views::contract::{
    Handled, Pane, PaneCx, PaneSize, Selection, Spec, TableCopy, Targets,
};
