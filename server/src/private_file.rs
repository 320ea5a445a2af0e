//! Files the server writes hold keys or sealed data: created mode 0600, and written whole
//! through a temporary file and a rename, so a crash leaves the old file or the new one.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Options for writing a file that is created mode 0600 (callers add create, append, ...).
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Writes `bytes` to `path` through `temp` (in the same folder) and a rename, durably.
pub fn write_atomic(path: &Path, temp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    {
        let mut file = options().create(true).truncate(true).open(temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(temp, path)?;
    match path.parent() {
        Some(folder) => File::open(folder)?.sync_all(),
        None => Ok(()),
    }
}

/// Creates a folder (and its parents) mode 0700 if it is not there.
pub fn create_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
