//! Why starting or running the engine failed, in the two kinds the operator acts on
//! differently: fix the configuration or input, or look at the database, network or disk.
//! The command line turns them into exit codes (README "Commands").

/// Why a command failed, which decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad configuration or bad input: exit 1.
    User(anyhow::Error),
    /// The database, the network or the disk failed: exit 2.
    Runtime(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::User(_) => 1,
            Failure::Runtime(_) => 2,
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Runtime(e.into())
    }
}
