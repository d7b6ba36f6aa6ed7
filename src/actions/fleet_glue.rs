//! The data layer as the refresher of nodes after a patch run.

use crate::fleet::FleetHandle;
use crate::model::NodeKey;

use super::run::NodeRefresher;

impl NodeRefresher for FleetHandle {
    fn refresh_nodes(&self, keys: Vec<NodeKey>) {
        FleetHandle::refresh_nodes(self, keys)
    }
}
