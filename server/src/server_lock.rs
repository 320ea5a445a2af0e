//! Who is using a data folder: the server and the operator commands hold `server.lock` shared,
//! and `rotate-data-key` holds it alone. A server still running with the old data key would
//! otherwise keep writing values and blind indexes under it behind the rotation's back.
//! (`flock`: released by the kernel when the process ends, however it ends.)
use std::fs::File;
use std::path::Path;

pub const LOCK_FILE: &str = "server.lock";

/// Held until dropped.
pub struct FolderLock(#[allow(dead_code)] File);

fn open(data_dir: &Path) -> std::io::Result<File> {
    crate::private_file::options()
        .create(true)
        .truncate(false)
        .open(data_dir.join(LOCK_FILE))
}

/// Shared with every other user of the folder; refused while a rotation holds it alone.
pub fn shared(data_dir: &Path) -> std::io::Result<FolderLock> {
    let file = open(data_dir)?;
    take(&file, rustix::fs::FlockOperation::NonBlockingLockShared).map_err(|_| {
        std::io::Error::other(
            "a data key rotation is running on this data folder: wait for it to finish",
        )
    })?;
    Ok(FolderLock(file))
}

/// The folder alone: refused while the server or any other command uses it.
pub fn exclusive(data_dir: &Path) -> std::io::Result<FolderLock> {
    let file = open(data_dir)?;
    take(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(|_| {
        std::io::Error::other(
            "the server (or another perlinsos-server command) is using this data folder: \
             stop it first",
        )
    })?;
    Ok(FolderLock(file))
}

fn take(file: &File, operation: rustix::fs::FlockOperation) -> rustix::io::Result<()> {
    rustix::fs::flock(file, operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_shared_or_held_alone_never_both() {
        let dir = tempfile::tempdir().unwrap();
        let first = shared(dir.path()).unwrap();
        let second = shared(dir.path()).unwrap();
        assert!(exclusive(dir.path()).is_err());
        drop((first, second));
        let alone = exclusive(dir.path()).unwrap();
        assert!(shared(dir.path()).is_err());
        assert!(exclusive(dir.path()).is_err());
        drop(alone);
        assert!(shared(dir.path()).is_ok());
    }
}
