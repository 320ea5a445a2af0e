// The one activity: secure window (residents' data must not end up in screenshots or the
// recent-apps thumbnail) and the Compose navigation graph; it feeds the auto-lock its touches
// and its stops.
package id.perlinsos.app

import android.os.Bundle
import android.view.WindowManager
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.ui.Modifier
import androidx.compose.foundation.layout.fillMaxSize

class MainActivity : ComponentActivity() {
    private val autoLock get() = (application as PerlinsosApp).graph.autoLock

    /** Every touch or key restarts the auto-lock's idle timer. */
    override fun onUserInteraction() {
        super.onUserInteraction()
        autoLock.touch()
    }

    override fun onStart() {
        super.onStart()
        autoLock.onStart()
    }

    /** In the background the agent's session locks (not when the agent went to the camera app). */
    override fun onStop() {
        super.onStop()
        if (!isChangingConfigurations) autoLock.onStop()
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        val graph = (application as PerlinsosApp).graph
        setContent {
            MaterialTheme(colorScheme = if (isSystemInDarkTheme()) darkColorScheme() else lightColorScheme()) {
                Surface(modifier = Modifier.fillMaxSize()) {
                    PerlinsosNavHost(graph)
                }
            }
        }
    }
}
