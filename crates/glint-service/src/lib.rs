//! Services: the steps of each operation, read top to bottom — authorize,
//! load, check the rule, write. The HTTP layer and the registry call these;
//! nothing else touches a repository or a store.

pub mod hashing;
pub mod image_data;
pub mod image_patch;
mod image_values;
pub mod images;
pub mod members;
pub mod policy;
pub mod stores;

use std::sync::Arc;

use glint_config::Config;
use glint_db::Repository;
use glint_store::Stores;

pub use images::ImageService;
pub use members::MemberService;
pub use policy::Policy;

/// Everything a request handler needs, built once at start-up.
#[derive(Clone)]
pub struct Services {
    pub images: ImageService,
    pub members: MemberService,
    pub config: Arc<Config>,
}

impl Services {
    pub fn new(
        config: Arc<Config>,
        repo: Arc<dyn Repository>,
        stores: Stores,
        policy: Arc<Policy>,
    ) -> Self {
        let images = ImageService::new(config.clone(), repo.clone(), stores, policy);
        Services {
            members: MemberService::new(config.clone(), repo, images.clone()),
            images,
            config,
        }
    }
}
