// The platform secret the core mixes into every key derivation (Phone.open). Why the Keystore:
// the secret must be bound to this phone, so that a copy of the app's files opens nothing.
// How: 32 random bytes, kept in the app's no-backup files only sealed with AES-256-GCM under a
// key generated inside the Android Keystore (in secure hardware where the phone has it); the
// key never leaves the Keystore, so only this app on this phone can unseal the secret. The
// secret itself never leaves the app's memory except into the core. Uninstalling the app
// deletes the Keystore key and with it the data; the agent re-enrolls with the district.
package id.perlinsos.app

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

object PlatformSecret {
    private const val KEY_ALIAS = "perlinsos.platform-secret"
    private const val FILE_NAME = "platform-secret.sealed"
    private const val IV_BYTES = 12

    /** Reads (creating on first run) the secret. Call off the main thread. */
    fun load(context: Context): ByteArray {
        val file = File(context.noBackupFilesDir, FILE_NAME)
        val key = keystoreKey()
        if (file.exists()) {
            val sealed = file.readBytes()
            val cipher = Cipher.getInstance("AES/GCM/NoPadding")
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, sealed, 0, IV_BYTES))
            return cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES)
        }
        val secret = ByteArray(32).also { SecureRandom().nextBytes(it) }
        // The Keystore chooses the IV (randomized encryption is required for its keys).
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, key)
        val sealed = cipher.iv + cipher.doFinal(secret)
        // Written whole or not at all: a half-written file would lose the phone's data.
        val partial = File(file.parentFile, "$FILE_NAME.partial")
        partial.writeBytes(sealed)
        check(partial.renameTo(file)) { "platform secret not saved" }
        return secret
    }

    private fun keystoreKey(): SecretKey {
        val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (keyStore.getKey(KEY_ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(KEY_ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }
}
