// Every text the shared screens show, in Bahasa Indonesia, in one place. The core's own refusal
// texts (already Indonesian) arrive in the screens' state and are shown as they come.
package id.perlinsos.screens

object Strings {
    const val unlockTitle = "Masuk agen"
    fun unlockAgent(agentId: String) = "Agen: $agentId"
    const val unlockPin = "PIN (6 angka)"
    const val unlockSubmit = "Buka"
    const val unlockBusy = "Memeriksa PIN…"
    fun unlockAttemptsLeft(n: Int) = "Sisa percobaan: $n"
    fun unlockRetryAt(time: String) = "Coba lagi setelah $time"
}
